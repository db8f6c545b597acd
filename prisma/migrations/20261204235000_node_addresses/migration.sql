-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Node" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "hostId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "containerId" TEXT,
    "state" TEXT,
    "interfaces" TEXT NOT NULL DEFAULT '[]',
    "addresses" TEXT NOT NULL DEFAULT '[]',
    "present" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" DATETIME,
    "positionX" REAL,
    "positionY" REAL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Node_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Node" ("containerId", "createdAt", "hostId", "id", "interfaces", "kind", "lastSeenAt", "name", "positionX", "positionY", "present", "state", "updatedAt") SELECT "containerId", "createdAt", "hostId", "id", "interfaces", "kind", "lastSeenAt", "name", "positionX", "positionY", "present", "state", "updatedAt" FROM "Node";
DROP TABLE "Node";
ALTER TABLE "new_Node" RENAME TO "Node";
CREATE UNIQUE INDEX "Node_hostId_kind_name_key" ON "Node"("hostId", "kind", "name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

