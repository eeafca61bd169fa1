"""The lecture's advice as code: organisation archetypes, the roster and its bottlenecks, hiring,
growth, and the health checks of a plan."""
