"""Ways to run the Pulumi program: offline under mocks (``plan``) or through the Automation API."""
