from . import test_demo_data
from . import test_walkthrough
from . import test_demo_answers
