from . import test_activation, test_connection, test_neutralize, test_receive_prompt, test_security
from . import test_mail_submission, test_notifications, test_user_email_tour, test_user_emails, test_user_preferences
