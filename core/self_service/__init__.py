"""What each person can see and do about their own participation (`/mentoring status`)."""
