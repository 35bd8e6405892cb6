"""python -m clients.ecommunautes --port 5003"""

from clients.common.runner import main
from clients.ecommunautes import create_app

main("ecommunautes", create_app, default_port=5003)
