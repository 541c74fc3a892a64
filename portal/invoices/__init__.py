"""The customer's invoices: paying what is due."""
