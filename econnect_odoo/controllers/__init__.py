from . import email_verification
