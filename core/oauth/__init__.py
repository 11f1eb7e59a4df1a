"""OAuth clients and their tokens: the /oauth/ server side, the API's token authentication, scopes, secrets."""
