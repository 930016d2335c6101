"""A tiny service used to test servicekit itself: items, and a consumer that counts them."""
