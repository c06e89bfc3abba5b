"""The Slack platform pieces every capability shares: the HTTP server, global middleware,
the listener executor, action and callback ids, Block Kit helpers, thin Web API helpers,
logging that never leaks secrets, and the hooks between features."""
