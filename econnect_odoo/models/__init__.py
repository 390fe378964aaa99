from . import econnect_secret_mixin
from . import econnect_connection
from . import econnect_notifier
from . import account_move
from . import ir_http
from . import res_company
from . import res_config_settings
from . import res_users
