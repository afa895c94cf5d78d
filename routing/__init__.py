"""Delivery routes and engineer dispatch: travel model, solvers and plans."""
