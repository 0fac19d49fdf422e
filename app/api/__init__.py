"""JSON blueprints: parse -> call a service -> serialise."""
