"""Planning: one study pipeline and the questions commissioners ask of it.

Owns :class:`~geo.planning.study.Study` (area + sites + router + defaults, the one pipeline both
front ends adapt), scenarios and their files, closure impact, site optimisation and national
batch runs.  May import data, travel and measures.
"""
