from . import test_activation
from . import test_connection
from . import test_neutralize
from . import test_receive_prompt
from . import test_security
from . import test_send
from . import test_send_concurrency
from . import test_ubl_conformance
