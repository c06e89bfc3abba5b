"""The internals behind `core.matching`, the pure matching core.

Import the public names from `core.matching`; the modules here are its parts, in the order a
run uses them:

- `constants`: limits, point weights and array type aliases shared by every part.
- `inputs`: the frozen mentee and mentor inputs and their validation.
- `organisation`: the reporting forest as Euler-tour intervals.
- `constraints`: pair rules (do-not-pair, previous pairs, exclusions) and run settings.
- `outputs`: the result types (reasons, candidates, unmatched mentees, the whole result).
- `timezones`: DST-free offsets and working-hours overlap.
- `prepare`: canonical order, indices and the lookup tables candidate scoring needs.
- `practical`: practical-fit point tables (working hours, language, format, department).
- `candidates`: vectorised, chunked candidate generation with two-sided pruning.
- `solver`: the exact min-cost-flow assignment and the greedy baseline.
- `reasons`: reason templates, their rendering, and the reasons of each candidate.
- `results`: the shortlists, unmatched mentees and statistics of one run.
- `size_guard`: the memory estimate that refuses runs too large for their limit.
- `gc_pause`: the pause of the cyclic garbage collector around a run.
- `entry_points`: `match`, `greedy_shortlists` and `candidate_pool`.
"""
