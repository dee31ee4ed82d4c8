"""Platform-neutral command core: invocations in, replies out through a responder."""
