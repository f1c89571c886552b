"""DORA major ICT-related incident reports (DESIGN.md §10): their deadlines and the register of what was sent."""
