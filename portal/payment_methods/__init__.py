"""The customer's payment methods: which there are, which one pays, removing one."""
