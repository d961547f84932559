window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "920000000000000301"
          ],
          "editableUntil" : "2017-10-17T10:30:00.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [
          {
            "text" : "MeToo",
            "indices" : [
              "64",
              "70"
            ]
          }
        ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ],
        "media" : [
          {
            "expanded_url" : "https://twitter.com/rosa_lnd/status/920000000000000301/photo/1",
            "indices" : [
              "75",
              "98"
            ],
            "url" : "https://t.co/Ph0to301a",
            "media_url" : "http://pbs.twimg.com/media/DMa1Xx301.jpg",
            "id_str" : "920000000000009301",
            "id" : "920000000000009301",
            "media_url_https" : "https://pbs.twimg.com/media/DMa1Xx301.jpg",
            "sizes" : {
              "large" : {
                "w" : "1200",
                "h" : "900",
                "resize" : "fit"
              }
            },
            "type" : "photo",
            "display_url" : "pic.twitter.com/Ph0to301a"
          }
        ]
      },
      "display_text_range" : [
        "0",
        "74"
      ],
      "favorite_count" : "12",
      "id_str" : "920000000000000301",
      "truncated" : false,
      "retweet_count" : "3",
      "id" : "920000000000000301",
      "possibly_sensitive" : false,
      "created_at" : "Tue Oct 17 09:30:00 +0000 2017",
      "favorited" : false,
      "full_text" : "It took me ten years to write this down. A thread. #MeToo 1/3 https://t.co/Ph0to301a",
      "lang" : "en",
      "extended_entities" : {
        "media" : [
          {
            "expanded_url" : "https://twitter.com/rosa_lnd/status/920000000000000301/photo/1",
            "indices" : [
              "75",
              "98"
            ],
            "url" : "https://t.co/Ph0to301a",
            "media_url" : "http://pbs.twimg.com/media/DMa1Xx301.jpg",
            "id_str" : "920000000000009301",
            "id" : "920000000000009301",
            "media_url_https" : "https://pbs.twimg.com/media/DMa1Xx301.jpg",
            "sizes" : {
              "large" : {
                "w" : "1200",
                "h" : "900",
                "resize" : "fit"
              }
            },
            "type" : "photo",
            "ext_alt_text" : "A handwritten page in a notebook, the words too small to read.",
            "display_url" : "pic.twitter.com/Ph0to301a"
          }
        ]
      }
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [
        "0",
        "98"
      ],
      "favorite_count" : "8",
      "in_reply_to_status_id_str" : "920000000000000301",
      "id_str" : "920000000000000302",
      "in_reply_to_user_id" : "2001",
      "truncated" : false,
      "retweet_count" : "1",
      "id" : "920000000000000302",
      "in_reply_to_status_id" : "920000000000000301",
      "possibly_sensitive" : false,
      "created_at" : "Tue Oct 17 09:32:00 +0000 2017",
      "favorited" : false,
      "full_text" : "The manager of the shop said it was a compliment &amp; that I should smile more. 2/3 https://t.co/Ph0to302a",
      "lang" : "en",
      "in_reply_to_screen_name" : "rosa_lnd",
      "in_reply_to_user_id_str" : "2001",
      "extended_entities" : {
        "media" : [
          {
            "expanded_url" : "https://twitter.com/rosa_lnd/status/920000000000000302/photo/1",
            "indices" : [
              "84",
              "107"
            ],
            "url" : "https://t.co/Ph0to302a",
            "media_url" : "http://pbs.twimg.com/media/DMa2Yy302.png",
            "id_str" : "920000000000009302",
            "id" : "920000000000009302",
            "media_url_https" : "https://pbs.twimg.com/media/DMa2Yy302.png",
            "type" : "photo",
            "display_url" : "pic.twitter.com/Ph0to302a"
          }
        ]
      }
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [
            "920000000000000303",
            "920000000000000304"
          ],
          "editableUntil" : "2017-10-17T10:34:00.000Z",
          "editsRemaining" : "4",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "in_reply_to_status_id_str" : "920000000000000302",
      "id_str" : "920000000000000303",
      "in_reply_to_user_id" : "2001",
      "id" : "920000000000000303",
      "created_at" : "Tue Oct 17 09:34:00 +0000 2017",
      "full_text" : "I left the job a month later. 3/3",
      "lang" : "en",
      "in_reply_to_screen_name" : "rosa_lnd",
      "in_reply_to_user_id_str" : "2001"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "edit" : {
          "initialTweetId" : "920000000000000303",
          "editControlInitial" : {
            "editTweetIds" : [
              "920000000000000303",
              "920000000000000304"
            ],
            "editableUntil" : "2017-10-17T10:34:00.000Z",
            "editsRemaining" : "4",
            "isEditEligible" : true
          }
        }
      },
      "retweeted" : false,
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "in_reply_to_status_id_str" : "920000000000000302",
      "id_str" : "920000000000000304",
      "in_reply_to_user_id" : "2001",
      "id" : "920000000000000304",
      "created_at" : "Tue Oct 17 09:36:00 +0000 2017",
      "full_text" : "I left the job a month later, and I have not been back to that street since. 3/3",
      "lang" : "en",
      "in_reply_to_screen_name" : "rosa_lnd",
      "in_reply_to_user_id_str" : "2001"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [
          {
            "name" : "Example News",
            "screen_name" : "ExampleNews",
            "indices" : [
              "3",
              "15"
            ],
            "id_str" : "1002",
            "id" : "1002"
          },
          {
            "name" : "Dana Reyes",
            "screen_name" : "dana_rw",
            "indices" : [
              "31",
              "39"
            ],
            "id_str" : "1001",
            "id" : "1001"
          }
        ],
        "urls" : [ ]
      },
      "id_str" : "920000000000000305",
      "id" : "920000000000000305",
      "created_at" : "Tue Oct 17 12:00:00 +0000 2017",
      "full_text" : "RT @ExampleNews: We spoke with @dana_rw about her story. Read her thread: https://t.co/q1",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "id_str" : "920000000000000306",
      "id" : "920000000000000306",
      "created_at" : "Wed Oct 18 18:00:00 +0000 2017",
      "full_text" : "Part two of my story, about the trial. 1/3",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "in_reply_to_status_id_str" : "920000000000000307",
      "id_str" : "920000000000000308",
      "in_reply_to_user_id" : "2001",
      "id" : "920000000000000308",
      "created_at" : "Wed Oct 18 18:10:00 +0000 2017",
      "full_text" : "The verdict came two years later. 3/3",
      "lang" : "en",
      "in_reply_to_screen_name" : "rosa_lnd",
      "in_reply_to_user_id_str" : "2001"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [
          {
            "name" : "Example News",
            "screen_name" : "ExampleNews",
            "indices" : [
              "0",
              "12"
            ],
            "id_str" : "1002",
            "id" : "1002"
          }
        ],
        "urls" : [
          {
            "url" : "https://t.co/Prof1le",
            "expanded_url" : "https://twitter.com/zq_quiet",
            "display_url" : "twitter.com/zq_quiet",
            "indices" : [
              "58",
              "81"
            ]
          }
        ]
      },
      "in_reply_to_status_id_str" : "920000000000000011",
      "id_str" : "920000000000000309",
      "in_reply_to_user_id" : "1002",
      "id" : "920000000000000309",
      "created_at" : "Thu Oct 19 08:00:00 +0000 2017",
      "full_text" : "@ExampleNews thank you for covering this. Also read this: https://t.co/Prof1le",
      "lang" : "en",
      "in_reply_to_screen_name" : "ExampleNews",
      "in_reply_to_user_id_str" : "1002"
    }
  }
]
