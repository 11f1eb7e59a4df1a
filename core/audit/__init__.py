"""The audit trail: an event for every state change, written in the same transaction as the change."""
