from . import econnect_demo_nl
