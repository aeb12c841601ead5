"""How each tracker's credentials are obtained (OAuth, app installation, a pasted token):
one module per tracker, each with its `urlpatterns`. Every flow ends by creating the
connection (services.connections.create_connection) and sending the user to choose where
issues go (`integrations:target`)."""
