from . import econnect_receive_prompt
from . import econnect_send_report
from . import econnect_response_wizard
