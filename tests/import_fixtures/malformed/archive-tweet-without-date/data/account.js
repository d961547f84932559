window.YTD.account.part0 = [
  {
    "account" : {
      "email" : "rosa@example.com",
      "createdVia" : "web",
      "username" : "rosa_lnd",
      "accountId" : "2001",
      "createdAt" : "2012-04-11T09:30:12.000Z",
      "accountDisplayName" : "Rosa Lind"
    }
  }
]
