"""python -m clients.cpf --port 5002"""

from clients.common.runner import main
from clients.cpf import create_app

main("cpf", create_app, default_port=5002)
