-- A webhook is a unit's channel: the kind of robot it speaks to (generic signed JSON, 企业微信 /
-- 政务微信, 钉钉, 飞书, or an SMS gateway), the events it takes (empty: all), whom a message
-- @s (mobiles or account ids, comma-separated), the SMS signature and template id per event
-- (event=template, comma-separated), and how many requests a minute the robot takes.
ALTER TABLE webhooks ADD COLUMN kind TEXT NOT NULL DEFAULT 'generic';
ALTER TABLE webhooks ADD COLUMN events TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN sms_signature TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN sms_templates TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN per_minute INTEGER NOT NULL DEFAULT 20;

-- Each request made to a channel (one message, or a digest of several deliveries), by the
-- application's clock: the per-minute limit counts them. A delivery names the request that
-- carried it.
CREATE TABLE channel_sends (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    sent_at    TEXT NOT NULL,
    items      INTEGER NOT NULL,
    ok         BOOLEAN NOT NULL
);
CREATE INDEX channel_sends_window ON channel_sends (webhook_id, sent_at);
ALTER TABLE webhook_deliveries ADD COLUMN send_id INTEGER REFERENCES channel_sends (id);
