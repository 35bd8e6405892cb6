"""python -m clients.formadist --port 5001"""

from clients.common.runner import main
from clients.formadist import create_app

main("formadist", create_app, default_port=5001)
