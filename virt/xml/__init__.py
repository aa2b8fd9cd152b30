"""Domain XML as objects (lxml only), and in-place edits of fetched domain trees."""
