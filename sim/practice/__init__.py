"""The domain tools behind the course: the IPS fidelity scale, case plans, the service system,
employers and impact. Pure functions over data; no widgets, no simulation."""
