"""Customer companies: the file every customer has, with its tier and entitlement options."""
