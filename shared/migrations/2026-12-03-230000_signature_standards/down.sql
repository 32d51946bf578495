DROP TABLE ap_signature_standards;
