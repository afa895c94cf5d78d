"""Failed data-bearing parts kept by classified customers, and the record of their destruction."""
