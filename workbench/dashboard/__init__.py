"""The Panel dashboard: one view per module, each a ``pn.viewable.Viewer`` over the
workbench's rooms; ``app.build_dashboard`` lays them out."""
