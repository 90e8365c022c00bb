"""Route functions and their OpenAPI descriptions, one module per area of API.md."""
