from . import rotate_key
