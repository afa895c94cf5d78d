"""Spare-part stock, customers and service records: the domain of the Spareline service."""
