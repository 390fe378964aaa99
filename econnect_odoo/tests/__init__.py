from . import test_activation, test_connection, test_neutralize, test_receive_prompt, test_security
from . import test_ubl_conformance
