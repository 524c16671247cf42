"""The floor for every figure: a bare nameko ``@rpc`` that returns its argument
(no database, no metrics, no project conventions)."""
from nameko.rpc import rpc


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value
