from . import econnect_receive_prompt
