"""The rules of the service. No request objects here: views parse, services decide."""
