-- States, statuses, roles and message kinds are the names of fogd's enums (src/domain/state.rs, formats, tokens);
-- CHECK constraints keep anything else out.
ALTER TABLE cases ADD CONSTRAINT cases_state_check CHECK (state IN ('received', 'invalid', 'held', 'journal',
    'approved', 'batched', 'sent', 'accepted', 'rejected', 'registered', 'decided', 'withdrawn', 'closed'));
ALTER TABLE case_events ADD CONSTRAINT case_events_from_state_check CHECK (from_state IN ('received', 'invalid',
    'held', 'journal', 'approved', 'batched', 'sent', 'accepted', 'rejected', 'registered', 'decided', 'withdrawn',
    'closed'));
ALTER TABLE case_events ADD CONSTRAINT case_events_to_state_check CHECK (to_state IN ('received', 'invalid', 'held',
    'journal', 'approved', 'batched', 'sent', 'accepted', 'rejected', 'registered', 'decided', 'withdrawn',
    'closed'));
ALTER TABLE files ADD CONSTRAINT files_state_check CHECK (state IN ('built', 'sending', 'sent', 'outcome_unknown',
    'receipted_ok', 'receipted_rejected', 'superseded'));
ALTER TABLE files ADD CONSTRAINT files_kvittens_status_check CHECK (kvittens_status IN ('G', 'U'));
ALTER TABLE inbound ADD CONSTRAINT inbound_kind_check CHECK (kind IN ('confirm', 'error', 'kvittens', 'bekraftelse',
    'utslag', 'unknown'));
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('submitter', 'operator', 'viewer',
    'admin'));
