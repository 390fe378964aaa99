from . import test_activation, test_connection, test_neutralize, test_receive_prompt, test_security
from . import test_webhook_inbox, test_pull, test_received_examples
