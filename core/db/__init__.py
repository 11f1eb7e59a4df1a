"""What the data path needs beyond the ORM: transaction-scoped locks on a name that has no row yet."""
