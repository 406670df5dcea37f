"""Films, cinemas, showtimes, licensed products and stock, bundle offers and allocation."""
