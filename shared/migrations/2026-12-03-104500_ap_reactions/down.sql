DROP TABLE ap_reactions;
