"""What the API takes and gives, per resource: the schemas the route table names."""
