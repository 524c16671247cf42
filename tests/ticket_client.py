"""A ticket as the stack tests drive it through the gateway: acting with the version it
last saw, and reading it back."""

API = "/api/v1"


class Ticket:
    def __init__(self, stack, ticket):
        self.stack, self.id, self.version = stack, ticket["id"], ticket["version"]
        self.number = ticket.get("number")

    def act(self, token, action, expect=200, **payload):
        """The action as ``token``; with 200 the ticket after it (its version kept for the
        next), else the error body."""
        response = self.stack.call("POST", f"{API}/tickets/{self.id}/actions", token,
                                   {"action": action, "version": self.version, **payload})
        assert response.status_code == expect, (action, response.text)
        if expect == 200:
            self.version = response.json()["ticket"]["version"]
            return response.json()["ticket"]
        return response.json()

    def seen_by(self, token):
        response = self.stack.call("GET", f"{API}/tickets/{self.id}", token)
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, token):
        return self.stack.call("GET", f"{API}/tickets/{self.id}/history", token).json()["items"]
