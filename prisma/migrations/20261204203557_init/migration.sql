-- CreateTable
CREATE TABLE "Host" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "agentUrl" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "underlay" TEXT,
    "status" TEXT NOT NULL DEFAULT 'unknown',
    "lastSeenAt" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Node" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "containerId" TEXT,
    "state" TEXT,
    "interfaces" TEXT NOT NULL DEFAULT '[]',
    "present" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" DATETIME,
    "positionX" REAL,
    "positionY" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Node_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Lab" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "group" INTEGER NOT NULL,
    "ipv4Pool" TEXT NOT NULL DEFAULT '192.0.2.0/24',
    "ipv4Prefix" INTEGER NOT NULL DEFAULT 30,
    "ipv6Pool" TEXT NOT NULL DEFAULT '2001:db8::/32',
    "ipv6Prefix" INTEGER NOT NULL DEFAULT 64,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Link" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "labId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "lastError" TEXT,
    "statusChangedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "mtu" INTEGER,
    "vni" INTEGER,
    "port" INTEGER,
    "remote" TEXT,
    "vlanId" INTEGER,
    "macvlanMode" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Link_labId_fkey" FOREIGN KEY ("labId") REFERENCES "Lab" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LinkEndpoint" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "linkId" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "ifname" TEXT NOT NULL,
    "addresses" TEXT NOT NULL DEFAULT '[]',
    "parent" TEXT,
    "mirror" TEXT,
    CONSTRAINT "LinkEndpoint_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "Link" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "LinkEndpoint_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "HistoryEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorName" TEXT NOT NULL,
    "actorId" TEXT,
    "sessionId" TEXT,
    "labId" TEXT,
    "labName" TEXT,
    "linkId" TEXT,
    "action" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "before" TEXT,
    "after" TEXT,
    "outcome" TEXT NOT NULL,
    "error" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Host_agentUrl_key" ON "Host"("agentUrl");

-- CreateIndex
CREATE UNIQUE INDEX "Node_hostId_kind_name_key" ON "Node"("hostId", "kind", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Lab_name_key" ON "Lab"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Lab_group_key" ON "Lab"("group");

-- CreateIndex
CREATE UNIQUE INDEX "Link_vni_key" ON "Link"("vni");

-- CreateIndex
CREATE INDEX "Link_labId_idx" ON "Link"("labId");

-- CreateIndex
CREATE UNIQUE INDEX "LinkEndpoint_linkId_side_key" ON "LinkEndpoint"("linkId", "side");

-- CreateIndex
CREATE UNIQUE INDEX "LinkEndpoint_nodeId_ifname_key" ON "LinkEndpoint"("nodeId", "ifname");

-- CreateIndex
CREATE INDEX "HistoryEntry_labId_id_idx" ON "HistoryEntry"("labId", "id");

-- CreateIndex
CREATE INDEX "HistoryEntry_linkId_id_idx" ON "HistoryEntry"("linkId", "id");

-- CreateIndex
CREATE INDEX "HistoryEntry_actorName_idx" ON "HistoryEntry"("actorName");

-- CreateIndex
CREATE INDEX "HistoryEntry_at_idx" ON "HistoryEntry"("at");


-- History is append-only: reject any change to an entry once it is written.
CREATE TRIGGER "HistoryEntry_reject_update" BEFORE UPDATE ON "HistoryEntry"
BEGIN
    SELECT RAISE(ABORT, 'history entries are append-only and cannot be updated');
END;

CREATE TRIGGER "HistoryEntry_reject_delete" BEFORE DELETE ON "HistoryEntry"
BEGIN
    SELECT RAISE(ABORT, 'history entries are append-only and cannot be deleted');
END;
