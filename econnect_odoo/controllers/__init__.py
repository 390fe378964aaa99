from . import email_verification
from . import webhook
