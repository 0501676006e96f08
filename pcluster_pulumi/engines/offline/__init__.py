"""The program under Pulumi mocks: offline facts, a recording monitor, and the rendered plan."""
