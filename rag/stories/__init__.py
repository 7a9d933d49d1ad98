"""Stories: articles grouped as they arrive (assign), and what is read from them (stories:
headlines and ranking; summary, brief, timeline). The memberships live in the store
(index.stories)."""
