"""What a learner works through: bilingual text and self-check quizzes."""
